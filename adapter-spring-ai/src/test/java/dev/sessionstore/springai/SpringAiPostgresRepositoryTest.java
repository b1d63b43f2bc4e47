package dev.sessionstore.springai;

class SpringAiPostgresRepositoryTest extends SpringAiRepositoryContract {
  @Override
  Backend backend() {
    return Backend.postgres();
  }
}

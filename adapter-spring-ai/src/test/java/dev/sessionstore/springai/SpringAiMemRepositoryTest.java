package dev.sessionstore.springai;

class SpringAiMemRepositoryTest extends SpringAiRepositoryContract {
  private final Backend backend = Backend.mem();

  @Override
  Backend backend() {
    return backend;
  }
}

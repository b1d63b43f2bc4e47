package dev.sessionstore.springai;

import dev.sessionstore.conformance.StoreTarget;

class SpringAiPostgresRepositoryTest extends SpringAiRepositoryContract {
  @Override
  StoreTarget backend() {
    return StoreTarget.postgres("springai_", "the Spring AI adapter");
  }
}

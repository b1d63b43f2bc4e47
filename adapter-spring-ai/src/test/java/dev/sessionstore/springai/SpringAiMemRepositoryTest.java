package dev.sessionstore.springai;

import dev.sessionstore.conformance.StoreTarget;

class SpringAiMemRepositoryTest extends SpringAiRepositoryContract {
  private final StoreTarget backend = StoreTarget.mem("springai-");

  @Override
  StoreTarget backend() {
    return backend;
  }
}

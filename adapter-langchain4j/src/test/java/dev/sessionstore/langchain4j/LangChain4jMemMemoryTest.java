package dev.sessionstore.langchain4j;

import dev.sessionstore.conformance.StoreTarget;

class LangChain4jMemMemoryTest extends LangChain4jMemoryContract {
  private final StoreTarget backend = StoreTarget.mem("lc4j-");

  @Override
  StoreTarget backend() {
    return backend;
  }
}

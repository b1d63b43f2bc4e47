package dev.sessionstore.langchain4j;

import dev.sessionstore.conformance.StoreTarget;

class LangChain4jPostgresMemoryTest extends LangChain4jMemoryContract {
  @Override
  StoreTarget backend() {
    return StoreTarget.postgres("lc4j_", "the LangChain4j adapter");
  }
}

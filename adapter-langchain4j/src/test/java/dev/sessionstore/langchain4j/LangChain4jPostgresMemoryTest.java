package dev.sessionstore.langchain4j;

class LangChain4jPostgresMemoryTest extends LangChain4jMemoryContract {
  @Override
  Backend backend() {
    return Backend.postgres();
  }
}

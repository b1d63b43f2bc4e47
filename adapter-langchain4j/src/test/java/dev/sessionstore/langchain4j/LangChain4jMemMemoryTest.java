package dev.sessionstore.langchain4j;

class LangChain4jMemMemoryTest extends LangChain4jMemoryContract {
  private final Backend backend = Backend.mem();

  @Override
  Backend backend() {
    return backend;
  }
}

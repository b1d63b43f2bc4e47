package dev.sessionstore.langchain4j;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class LangChain4jFileMemoryTest extends LangChain4jMemoryContract {
  @TempDir Path dir;

  @Override
  Backend backend() {
    return Backend.file(dir);
  }
}

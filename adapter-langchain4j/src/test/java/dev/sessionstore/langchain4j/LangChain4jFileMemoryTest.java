package dev.sessionstore.langchain4j;

import dev.sessionstore.conformance.StoreTarget;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class LangChain4jFileMemoryTest extends LangChain4jMemoryContract {
  @TempDir Path dir;

  @Override
  StoreTarget backend() {
    return StoreTarget.file(dir);
  }
}

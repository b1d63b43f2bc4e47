package dev.sessionstore.springai;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class SpringAiFileRepositoryTest extends SpringAiRepositoryContract {
  @TempDir Path dir;

  @Override
  Backend backend() {
    return Backend.file(dir);
  }
}

package dev.sessionstore.springai;

import dev.sessionstore.conformance.StoreTarget;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class SpringAiFileRepositoryTest extends SpringAiRepositoryContract {
  @TempDir Path dir;

  @Override
  StoreTarget backend() {
    return StoreTarget.file(dir);
  }
}

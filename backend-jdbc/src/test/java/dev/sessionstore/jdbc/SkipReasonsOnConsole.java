package dev.sessionstore.jdbc;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Prints on the build console why a whole test class was skipped — PostgreSQL or MariaDB not
 * configured, no Docker for Testcontainers — which Surefire otherwise records only in its XML
 * reports. Writes to the process's own stderr because Surefire captures {@code System.err}
 * into report files. Registered through {@code META-INF/services} for this module's tests.
 */
public final class SkipReasonsOnConsole implements TestExecutionListener {
  private static final PrintStream CONSOLE =
      new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

  @Override
  public void executionSkipped(TestIdentifier id, String reason) {
    id.getSource().filter(ClassSource.class::isInstance).ifPresent(s -> CONSOLE.println(
        "[SKIPPED] " + ((ClassSource) s).getJavaClass().getSimpleName() + ": " + reason));
  }
}

package dev.sessionstore.cli;

import dev.sessionstore.SessionNotFoundException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code sessionstore} command-line tool. Its first command, {@code demo}, shows the lost
 * clear being healed; the others inspect, repair, copy and verify stores on any installed
 * backend.
 *
 * <p>Exit codes: {@value #OK} success, {@value #PROBLEM} a problem found or a failure, {@value
 * #USAGE} bad arguments, {@value #NOT_FOUND} the session named does not exist.
 */
@Command(
    name = "sessionstore",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Durable AI-agent conversation sessions on local disk, S3 and JDBC.",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
      DemoCommand.class,
      AppendCommand.class,
      CommitCommand.class,
      ShowCommand.class,
      ListCommand.class,
      ExpireCommand.class,
      CheckCommand.class,
      ImportCommand.class,
      ExportCommand.class,
      CopyCommand.class,
      VerifyCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Commands that work on a store take --store <uri>, or read SESSIONSTORE_URI.",
      "Store URIs:",
      "  file:///var/lib/sessions",
      "  s3://bucket/prefix?region=eu-west-1",
      "  jdbc:postgresql://host:5432/db?user=app",
      "  jdbc:mariadb://host:3306/db?user=app",
      "  jdbc:h2:file:/var/lib/sessions-db",
      "  mem:name (in memory, for trying things out)",
      "Exit codes: 0 ok, 1 problem found or failure, 2 bad arguments,",
      "3 session not found."
    })
public final class Main implements Runnable {
  /** Exit code: success. */
  public static final int OK = 0;
  /** Exit code: a problem was found (check, verify, copy) or the command failed. */
  public static final int PROBLEM = 1;
  /** Exit code: bad arguments; nothing was done. */
  public static final int USAGE = 2;
  /** Exit code: the session named does not exist. */
  public static final int NOT_FOUND = 3;

  @Spec CommandSpec spec;

  /** Used by picocli. */
  public Main() {}

  /**
   * Runs the tool and exits with its exit code.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    return run(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8),
        new PrintWriter(System.err, true, StandardCharsets.UTF_8));
  }

  static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(Main::badArguments);
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> failed(e, cmd));
    return cl.execute(args);
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "no command given");
  }

  /** One line saying what is wrong and one saying where help is; never a stack trace. */
  private static int badArguments(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("sessionstore: " + oneLine(e.getMessage()));
    err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
    return USAGE;
  }

  private static int failed(Exception e, CommandLine cmd) {
    PrintWriter err = cmd.getErr();
    if (e instanceof SessionNotFoundException) {
      err.println("sessionstore " + cmd.getCommandName() + ": " + oneLine(e.getMessage()));
      return NOT_FOUND;
    }
    err.println("sessionstore " + cmd.getCommandName() + ": error: " + describe(e));
    if (System.getenv("SESSIONSTORE_DEBUG") != null) {
      e.printStackTrace(err);
    }
    return PROBLEM;
  }

  /** The message of an exception and its causes on one line, without class names where clear. */
  static String describe(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = e; t != null && b.length() < 600; t = t.getCause()) {
      String msg = t.getMessage() == null ? t.getClass().getSimpleName() : oneLine(t.getMessage());
      if (b.indexOf(msg) < 0) {
        b.append(b.length() == 0 ? "" : ": ").append(msg);
      }
    }
    return b.toString();
  }

  static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }

  /** The version from the jar's manifest. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {
        "sessionstore " + (v == null ? "(development build)" : v),
        "Java " + System.getProperty("java.version") + " on "
            + System.getProperty("os.name").toLowerCase(Locale.ROOT)
      };
    }
  }
}

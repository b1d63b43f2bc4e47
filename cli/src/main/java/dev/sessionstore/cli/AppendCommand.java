package dev.sessionstore.cli;

import dev.sessionstore.Message;
import dev.sessionstore.SessionStore;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Appends one text message to a session, creating the session if needed. */
@Command(name = "append", mixinStandardHelpOptions = true,
    description = "Appends one text message to a session (created if it does not exist).")
final class AppendCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin StoreOption store;

  @Option(names = "--session", required = true, paramLabel = "<id>",
      description = "Session id: 1-128 characters of A-Z a-z 0-9 _ -.")
  String session;

  @Option(names = "--role", required = true, paramLabel = "user|assistant",
      description = "Who speaks: user or assistant.")
  String role;

  @Parameters(arity = "1..*", paramLabel = "<text>",
      description = "The message text (several words are joined with spaces).")
  List<String> text;

  @Override
  public Integer call() {
    if (!role.equals("user") && !role.equals("assistant")) {
      throw new ParameterException(spec.commandLine(),
          "--role must be user or assistant, was '" + role + "'");
    }
    String body = String.join(" ", text);
    Message m = role.equals("user") ? Message.user(body) : Message.assistant(body);
    try (SessionStore s = store.open(Healed.printer(spec))) {
      Message stored = Sessions.open(spec, s, session, true).append(m);
      spec.commandLine().getOut().println("appended seq " + stored.seq() + " (" + stored.id()
          + ") to session " + session);
    }
    return 0;
  }
}

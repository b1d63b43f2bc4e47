package dev.sessionstore;

import java.util.List;

/** Writes the summary stored with an archive, for example by asking a model. */
@FunctionalInterface
public interface Summarizer {
  /**
   * Summarizes the messages about to be archived, oldest first. Called before anything is
   * written; an exception aborts the commit with nothing changed.
   *
   * @param archived the messages, oldest first
   * @return the summary, or null for none
   */
  String summarize(List<Message> archived);
}

package dev.sessionstore;

/**
 * One record of the live log, decoded.
 *
 * @param message the message, with the seq the log gave it
 * @param seqInRecord whether the stored JSON carried its seq (written by this library); records
 *     written by OpenViking have none, and only those can ever be judged by its count rule
 */
record LiveEntry(Message message, boolean seqInRecord) {
  long seq() {
    return message.seq();
  }

  String id() {
    return message.id();
  }
}

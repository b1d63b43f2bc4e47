package dev.sessionstore.bench;

/** Message texts of a realistic size (a question of ~120 characters, an answer of ~400). */
final class Texts {
  private Texts() {}

  static String user(int n) {
    return "Question " + n + ": what is the weather going to be like in Oslo tomorrow, and"
        + " should I bring an umbrella to the meeting?";
  }

  static String answer(int n) {
    return "Answer " + n + ": tomorrow in Oslo expect light rain in the morning, clearing in the"
        + " afternoon, with temperatures between four and nine degrees. Bring an umbrella for the"
        + " walk to the meeting, and a warm coat: the wind from the fjord makes it feel colder"
        + " than the thermometer says. The evening should stay dry, so a walk home is fine.";
  }
}

package dev.sessionstore;

/** Estimates how many model tokens a text costs, for {@link Session#context(long)}. */
@FunctionalInterface
public interface TokenEstimator {

  /**
   * Tokens for {@code text}.
   *
   * @param text the text
   * @return the estimated tokens, at least 0
   */
  long estimate(String text);

  /**
   * About four characters per token, rounded up: a common rough estimate for English.
   *
   * @return the estimator
   */
  static TokenEstimator charsDividedByFour() {
    return text -> (text.length() + 3) / 4;
  }
}

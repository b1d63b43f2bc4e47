package dev.sessionstore.conformance.selftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kit tested against deliberately broken backends: each must make it fail, naming the rule
 * it breaks. A kit that passes a broken backend proves nothing.
 */
class BrokenBackendsTest {

  static Stream<Arguments> brokenBackends() {
    return Stream.of(
        Arguments.of(BrokenBackends.IgnoresPreconditionsKit.class, List.of(
            "required_put_absentConflictsWhenBlobExists",
            "required_put_matchesRejectsStaleVersion",
            "required_put_matchesOnMissingBlobThrowsNotFound",
            "required_concurrent_putAbsentHasExactlyOneWinner")),
        Arguments.of(BrokenBackends.NoOpTrimKit.class, List.of(
            "required_trim_removesThroughSeq",
            "required_trim_isIdempotent",
            "required_session_storedLayoutMatchesDesign")),
        Arguments.of(BrokenBackends.ForgetsHighWaterMarkKit.class, List.of(
            "required_append_highWaterMarkSurvivesTrim",
            "required_trim_pastTheEndKeepsHighWaterMark")),
        Arguments.of(BrokenBackends.UnsortedListKit.class, List.of(
            "required_list_isSorted")),
        Arguments.of(BrokenBackends.DuplicatingListKit.class, List.of(
            "required_list_hasNoDuplicates")),
        Arguments.of(BrokenBackends.RecursiveListKit.class, List.of(
            "required_list_isOneLevel")),
        Arguments.of(BrokenBackends.LosesMetaWriteKit.class, List.of(
            "required_put_roundTripsBytesExactly",
            "required_session_storedLayoutMatchesDesign")),
        Arguments.of(BrokenBackends.SwallowsAppendConflictKit.class, List.of(
            "required_append_conflictsOnTakenSeq",
            "required_append_newLogStartsAtSeqOne")),
        Arguments.of(BrokenBackends.NonAtomicAppendKit.class, List.of(
            "required_concurrent_readersNeverSeeAPartialBatch")),
        Arguments.of(BrokenBackends.SecondInstanceSeesNothingKit.class, List.of(
            "optional_durable_returnedWritesVisibleThroughSecondInstance")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenBackends")
  void kitCatchesBrokenBackend(Class<?> kit, List<String> expectedRules) {
    KitRun run = KitRun.of(kit);
    assertTrue(run.total() > 0, "the kit ran no test: " + run);
    for (String rule : expectedRules) {
      assertTrue(run.failed.containsKey(rule),
          kit.getSimpleName() + " must fail " + rule + "; " + run);
    }
  }

  @Test
  void correctMemoryBackendPassesEveryTest() {
    KitRun run = KitRun.of(MemoryBackendConformanceTest.class);
    assertEquals(Map.of(), run.failed, run.toString());
    // mem has a second instance and declares everything but persistence
    assertEquals(List.of("optional_persistent_dataOutlivesClose"), List.copyOf(run.skipped.keySet()),
        run.toString());
    assertTrue(run.passed.size() > 60, run.toString());
  }

  @Test
  void requiredTestsNeverSkipAndSkipsSayWhatToImplement() {
    KitRun run = KitRun.of(BrokenBackends.MinimalKit.class);
    assertEquals(Map.of(), run.failed, run.toString());
    assertTrue(!run.skipped.isEmpty(), "without capabilities and a second instance some"
        + " optional tests must skip: " + run);
    run.skipped.forEach((rule, reason) -> {
      assertTrue(rule.startsWith("optional_"), "a required test skipped: " + rule);
      assertTrue(reason.contains("implement") || reason.contains("override"),
          rule + " skipped without saying what to implement: " + reason);
    });
    run.passed.forEach(rule -> assertTrue(
        rule.startsWith("required_") || rule.startsWith("optional_"),
        "every rule name carries its tier: " + rule));
  }
}

package dev.sessionstore.conformance.selftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.conformance.KitFixture;
import dev.sessionstore.conformance.KitReport;
import dev.sessionstore.conformance.KitReport.Outcome;
import dev.sessionstore.conformance.KitReport.Status;
import dev.sessionstore.conformance.KitRunner;
import dev.sessionstore.conformance.selftest.BrokenBackends.*;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kit tested against deliberately broken backends: each must make its named rule fail, with
 * the rule's own assertion message (not an exception from somewhere else), like the Reactive
 * Streams TCK's {@code requireTestFailure}. A kit that passes a broken backend proves nothing.
 *
 * <p>{@code -Dkit.selftest.repeat=20} runs every case 20 times and prints the count of runs in
 * which the rule failed as expected; every case must reach all of them. {@code
 * -Dkit.selftest.only=NonAtomic} limits the run to the cases whose kit name contains that text.
 */
class BrokenBackendsTest {
  private static final int REPEAT = Integer.getInteger("kit.selftest.repeat", 1);
  /** Optional: run only the cases whose kit name contains this (with the repeat, to measure). */
  private static final String ONLY = System.getProperty("kit.selftest.only", "");

  /** The class of gap each broken backend stands for, the rule that must catch it, and why. */
  static Stream<Arguments> brokenBackends() {
    return allBrokenBackends().filter(a -> ((String) a.get()[0]).contains(ONLY));
  }

  private static Stream<Arguments> allBrokenBackends() {
    return Stream.of(
        // blobs
        c("preconditions", IgnoresPreconditionsKit.class,
            "required_put_absentConflictsWhenBlobExists",
            "put(absent) on an existing blob must throw ConflictException"),
        c("preconditions", MatchesOnMissingConflictsKit.class,
            "required_put_matchesOnMissingBlobThrowsNotFound",
            "put(matches(v)) on a missing blob must throw NotFoundException"),
        c("blobs", EmptyValueIsMissingKit.class, "required_put_emptyValueIsAValue",
            "an empty value is a value"),
        // versions
        c("versions", VersionFromContentHashKit.class, "required_put_versionChangesOnEveryWrite",
            "each successful put must return a new version, even for equal content"),
        c("versions", VersionReusedAfterDeleteKit.class, "required_put_versionNotReusedAfterDelete",
            "a blob deleted and re-created must not get an old version back (ABA)"),
        c("versions", VersionReusedAfterPrefixDeleteKit.class,
            "required_put_versionNotReusedAfterPrefixDelete",
            "a blob deleted by a prefix delete and re-created must not get an old version back"),
        // defensive copies
        c("copies", KeepsPutArrayKit.class, "required_put_valueIsCopied",
            "put must not keep a reference to the caller's array"),
        c("copies", SharesGetArrayKit.class, "required_get_returnsACopy",
            "get must return a copy"),
        c("copies", KeepsAppendArraysKit.class, "required_append_recordsAreCopied",
            "append must not keep a reference to the caller's arrays"),
        c("copies", SharesReadArraysKit.class, "required_read_returnsCopies",
            "read must return copies"),
        // value sizes
        c("sizes", TruncatesLargeBlobsKit.class, "required_size_largeBlobsRoundTrip",
            "a blob of 65537 bytes must round-trip exactly; got 65535 bytes"),
        c("sizes", TruncatesLargeRecordsKit.class, "required_size_largeRecordsRoundTrip",
            "bytes must round-trip exactly; got 1048576 bytes"),
        // logs
        c("logs", SwallowsAppendConflictKit.class, "required_append_conflictsOnTakenSeq",
            "appending at a taken seq must throw ConflictException"),
        c("logs", AcceptsGapKit.class, "required_append_conflictsOnGap",
            "appending past the next seq must throw ConflictException"),
        c("logs", PartialConflictingBatchKit.class, "required_append_conflictingBatchWritesNothing",
            "no record of a conflicting batch may appear"),
        c("logs", AcceptsEmptyBatchKit.class, "required_append_rejectsEmptyBatchAndBadSeq",
            "an empty batch must be rejected with IllegalArgumentException"),
        c("logs", ReadIgnoresFromSeqKit.class, "required_read_fromSeqReturnsTheTail",
            "read(fromSeq) returns seqs >= fromSeq"),
        c("key order", ReadOrdersSeqsAsTextKit.class, "required_read_returnsRecordsInSeqOrder",
            "read must return records in ascending numeric seq order"),
        c("logs", HighWaterMarkFromRecordsKit.class, "required_read_pastTheEndReportsHighWaterMark",
            "reading past the end still reports the high-water mark"),
        // trim
        c("trim", NoOpTrimKit.class, "required_trim_removesThroughSeq",
            "trim(2) must remove seqs 1 and 2 and keep the rest"),
        c("trim", TrimOffByOneKit.class, "required_trim_removesThroughSeq",
            "trim(2) must remove seqs 1 and 2 and keep the rest"),
        c("trim", ForgetsHighWaterMarkKit.class, "required_append_highWaterMarkSurvivesTrim",
            "trim must not lower the log's high-water mark"),
        // idle operations
        c("idle", TrimCreatesMissingLogKit.class, "required_idle_trimOfMissingLogCreatesNothing",
            "a trim of a missing log must create nothing that list shows"),
        c("idle", ReadCreatesMissingLogKit.class, "required_idle_readOfMissingLogCreatesNothing",
            "a read of a missing log must create nothing that list shows"),
        c("idle", PrefixDeleteCountsOnlyBlobsKit.class,
            "required_delete_prefixWithOnlyLogsReportsTrue",
            "delete(prefix/) with only logs under it must report that something existed"),
        // delete
        c("delete", DeleteAlwaysTrueKit.class, "required_delete_blobReportsWhetherItExisted",
            "deleting a blob again reports false"),
        c("delete", DeleteKeepsHighWaterMarkKit.class,
            "required_delete_logRemovesRecordsAndHighWaterMark",
            "a deleted log reads as missing: high-water mark 0"),
        c("delete", ShallowPrefixDeleteKit.class, "required_delete_prefixRemovesEverythingUnderIt",
            "nothing may remain under the prefix"),
        c("prefix collisions", DeleteStringPrefixCollisionKit.class,
            "required_delete_prefixSparesSiblingsSharingAStringPrefix",
            "delete(sessions/s1/) must spare sessions/s10/"),
        // list
        c("list", UnsortedListKit.class, "required_list_isSorted",
            "list must be sorted in String.compareTo order"),
        c("key order", CaseInsensitiveListOrderKit.class, "required_list_isSorted",
            "list must be sorted in String.compareTo order"),
        c("list", DuplicatingListKit.class, "required_list_hasNoDuplicates",
            "is listed once"),
        c("list", RecursiveListKit.class, "required_list_isOneLevel",
            "list must return the direct children only"),
        c("prefix collisions", ListStringPrefixCollisionKit.class,
            "required_list_prefixIsADirectoryNotAStringPrefix",
            "must not include children of siblings sharing a string prefix"),
        c("list", ListShowsDeletedBlobsKit.class, "required_list_forgetsDeletedKeys",
            "a deleted blob must not be listed"),
        // keys
        c("keys", CaseInsensitiveKeysKit.class, "required_keys_namesDifferingInCaseAreDistinct",
            "names differing only in case are distinct keys"),
        c("keys", AcceptsDotDotKeysKit.class, "required_keys_invalidKeysRejectedByEveryOperation",
            "get must reject the invalid key"),
        // visibility between instances
        c("visibility", SecondInstanceSeesNothingKit.class,
            "optional_durable_returnedWritesVisibleThroughSecondInstance",
            "a returned put must be visible to a second instance"),
        c("visibility", StaleListingCacheKit.class, "optional_sharedStorage_listingSeesOtherInstance",
            "an open instance's listing must show what another instance wrote"),
        c("visibility", StaleBlobCacheKit.class, "optional_sharedStorage_readsSeeOtherInstanceWrites",
            "an open instance's get must show another instance's latest put"),
        c("visibility", StaleLogReadCacheKit.class,
            "optional_readAfterWrite_appendVisibleOnSecondInstanceAtOnce",
            "must be readable at once through another instance"),
        c("visibility", InstanceLocalHighWaterMarkKit.class,
            "optional_sharedStorage_highWaterMarkAfterFullTrimSeenByOtherInstance",
            "an open instance must see the high-water mark after another instance's full trim"),
        // races
        c("races", NonAtomicBatchAppendKit.class, "required_concurrent_readersNeverSeeAPartialBatch",
            "a reader saw part of a batch while the writer was inside it"),
        c("races", NonAtomicCopiedBatchAppendKit.class,
            "required_concurrent_readersNeverSeeAPartialBatch",
            "append must be atomic: a reader saw part of a batch (reads had started inside"),
        c("races", TrimRacesAppendKit.class, "required_concurrent_trimRacingAppendsLosesNothing",
            "a trim racing appends must"),
        // session behaviour
        c("session", LosesMetaWriteKit.class, "required_put_roundTripsBytesExactly",
            "a put that returned must be readable"),
        c("sizes", TruncatesRecordsAt512KibKit.class,
            "required_session_messagesUpToTheSizeLimitRoundTrip",
            "messages up to the size limit must round-trip"),
        c("session", LosesArchiveMarkerKit.class, "required_session_storedLayoutMatchesDesign",
            "the archive and its marker"));
  }

  private static Arguments c(String gap, Class<? extends KitFixture> kit, String rule,
      String message) {
    return Arguments.of(kit.getSimpleName(), gap, kit, rule, message);
  }

  @ParameterizedTest(name = "{0} fails {3}")
  @MethodSource("brokenBackends")
  void kitCatchesBrokenBackend(String name, String gap, Class<? extends KitFixture> kit,
      String rule, String message) {
    int caught = 0;
    List<String> misses = new ArrayList<>();
    for (int i = 0; i < REPEAT; i++) {
      KitReport run = KitRunner.run(kit, List.of(rule));
      String miss = requireTestFailure(run, rule, message);
      if (miss == null) {
        caught++;
      } else {
        misses.add(miss);
      }
    }
    if (REPEAT > 1) {
      System.out.printf("kit self-test: %-36s %-62s caught %d of %d%n", name, rule, caught,
          REPEAT);
    }
    assertEquals(REPEAT, caught, name + " (" + gap + ") must fail " + rule + " with '" + message
        + "' in every run: " + misses);
  }

  /** Null if {@code rule} failed with an assertion whose message contains {@code message}. */
  private static String requireTestFailure(KitReport run, String rule, String message) {
    Outcome o = run.outcome(rule).orElse(null);
    if (o == null) {
      return "the rule did not run: " + run;
    }
    if (o.status() != Status.FAILED) {
      return "the rule " + o.status() + (o.detail().isEmpty() ? "" : ": " + o.detail());
    }
    Throwable t = o.failure();
    if (!(t instanceof AssertionError) || !String.valueOf(t.getMessage()).contains(message)) {
      return "the rule failed for another reason: " + t;
    }
    return null;
  }

  @Test
  void selfTestCoversEveryClassOfGapWithThirtyBackends() {
    Set<Class<?>> kits = new LinkedHashSet<>();
    Set<String> gaps = new LinkedHashSet<>();
    allBrokenBackends().forEach(a -> {
      kits.add((Class<?>) a.get()[2]);
      gaps.add((String) a.get()[1]);
    });
    assertTrue(kits.size() >= 30, "at least 30 broken backends: " + kits.size());
    assertTrue(gaps.containsAll(List.of("visibility", "sizes", "versions", "copies", "idle",
        "races", "prefix collisions", "key order")), "every class of gap is covered: " + gaps);
  }

  @Test
  void correctMemoryBackendPassesEveryRule() {
    KitReport run = KitRunner.run(MemoryBackendConformanceTest.class);
    assertEquals(List.of(), run.rules(Status.FAILED), run.toString());
    // mem has a second instance and declares everything but persistence; its records are
    // reachable only through the SPI, so it offers no damage hook
    assertEquals(List.of("optional_persistent_dataOutlivesClose",
        "optional_damage_aSeqGapInTheLiveLogIsReportedAndDropsNothing"),
        run.rules(Status.SKIPPED), run.toString());
    assertTrue(run.rules(Status.PASSED).size() > 90, run.toString());
  }

  @Test
  void requiredRulesNeverSkipAndSkipsSayWhatToImplement() {
    KitReport run = KitRunner.run(BrokenBackends.MinimalKit.class);
    assertEquals(List.of(), run.rules(Status.FAILED), run.toString());
    assertTrue(!run.rules(Status.SKIPPED).isEmpty(), "without capabilities and a second instance"
        + " some optional rules must skip: " + run);
    for (Outcome o : run.outcomes()) {
      assertTrue(o.rule().startsWith("required_") || o.rule().startsWith("optional_"),
          "every rule name carries its tier: " + o.rule());
      if (o.status() == Status.SKIPPED) {
        assertTrue(o.rule().startsWith("optional_"), "a required rule skipped: " + o.rule());
        assertTrue(o.detail().contains("implement") || o.detail().contains("override"),
            o.rule() + " skipped without saying what to implement: " + o.detail());
      }
    }
  }

  @Test
  void runnerSelectsGroupsAndRules() {
    assertTrue(KitRunner.groups(MemoryBackendConformanceTest.class).containsAll(List.of(
        "BlobContract", "Visibility", "SpiConcurrency", "FaultCatalogue", "CrashPoints")));
    KitReport r = KitRunner.run(MemoryBackendConformanceTest.class,
        List.of("TrimContract", "required_put_valueIsCopied"));
    List<String> groups = r.outcomes().stream().map(Outcome::group).distinct().sorted().toList();
    assertEquals(List.of("BlobContract", "TrimContract"), groups, r.toString());
    assertEquals(1 + KitRunner.rules(MemoryBackendConformanceTest.class, "TrimContract").size(),
        r.rules(Status.PASSED).size(), r.toString());
  }
}

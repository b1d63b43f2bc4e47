package dev.sessionstore.conformance;

/**
 * The whole conformance kit: the storage contract and the session behaviour. A backend author
 * extends it in a test source folder and returns fresh backends; every rule then runs, and is
 * reported, as a test method of that class:
 *
 * <pre>{@code
 * class MyBackendConformanceTest extends ConformanceKit {
 *   protected StorageBackend createBackend() { return MyBackend.open(freshDirectory()); }
 *   protected Optional<StorageBackend> openSecondInstance(StorageBackend b) {
 *     return Optional.of(MyBackend.open(((MyBackend) b).directory()));
 *   }
 * }
 * }</pre>
 *
 * <p>A backend opened from a location (a directory, a URI) can extend {@link
 * LocationConformanceKit} instead and get its second instances for free. To run one role only,
 * extend {@link StorageContractKit} or {@link SessionBehaviourKit}; {@link KitRunner} runs any of
 * them programmatically.
 *
 * <p>Rules are named {@code tier_area_rule}. A {@code required_} rule never skips. An {@code
 * optional_} rule skips only when the backend does not declare the {@link
 * dev.sessionstore.spi.Capability} it needs, {@link #openSecondInstance} returns empty or (for
 * damage rules) {@link #logDamage} returns empty, and the skip message says what to implement.
 */
public abstract class ConformanceKit extends KitFixture implements StorageContract,
    SessionBehaviour {}

package dev.sessionstore;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The open sessions of a store, least recently used evicted beyond a bound, so a server that
 * touches millions of sessions keeps only the warm ones. An evicted {@link Session} still works
 * for whoever holds it; the next {@code session(id)} just opens a fresh handle.
 */
final class SessionCache {
  private final int capacity;
  private final LinkedHashMap<String, Session> map;

  SessionCache(int capacity) {
    this.capacity = capacity;
    this.map = new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Session> eldest) {
        return size() > SessionCache.this.capacity;
      }
    };
  }

  synchronized Session get(String id, Function<String, Session> open) {
    Session s = map.get(id);
    if (s == null || s.deleted()) {
      s = open.apply(id);
      map.put(id, s);
    }
    return s;
  }

  synchronized @Nullable Session remove(String id) {
    return map.remove(id);
  }

  synchronized void replace(String id, Session stale, Session fresh) {
    if (map.get(id) == stale) {
      map.put(id, fresh);
    }
  }

  synchronized @Nullable Session peek(String id) {
    return map.get(id);
  }

  synchronized int size() {
    return map.size();
  }

  synchronized void clear() {
    map.clear();
  }
}

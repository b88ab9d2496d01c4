package io.inferencecache.events.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The primitive map behaves like an access-ordered {@link LinkedHashMap} with a size bound. */
class BlockKeyMapTest {

  @Property(tries = 200)
  void behavesLikeABoundedLruMap(
      @ForAll long seed, @ForAll @IntRange(min = 1, max = 3000) int bound) {
    Random random = new Random(seed);
    BlockKeyMap map = new BlockKeyMap(bound, 2, 0);
    LinkedHashMap<Long, Long> model = new LinkedHashMap<>(16, 0.75f, true);
    // A small key space makes collisions, re-inserts and removals frequent.
    int space = 1 + random.nextInt(4 * bound);
    for (int op = 0; op < 5000; op++) {
      long hash = random.nextInt(space) * 0x1000L + (random.nextBoolean() ? 0 : Long.MIN_VALUE);
      int slot = map.find(hash);
      assertThat(slot != BlockKeyMap.NONE).isEqualTo(model.containsKey(hash));
      switch (random.nextInt(3)) {
        case 0, 1 -> {
          if (slot == BlockKeyMap.NONE) {
            if (map.isFull()) {
              long victim = model.keySet().iterator().next();
              assertThat(map.engineHash(map.oldest())).isEqualTo(victim);
              map.remove(map.oldest());
              model.remove(victim);
            }
            slot = map.insert(hash);
            map.key(slot, 1, ~hash);
            model.put(hash, ~hash);
          } else {
            map.touch(slot);
            model.get(hash);
            assertThat(map.key(slot, 1)).isEqualTo(~hash);
          }
        }
        default -> {
          if (slot != BlockKeyMap.NONE) {
            map.remove(slot);
            model.remove(hash);
          }
        }
      }
      assertThat(map.size()).isEqualTo(model.size());
    }
    for (Map.Entry<Long, Long> e : model.entrySet()) {
      assertThat(map.lastKey(map.find(e.getKey()))).isEqualTo(e.getValue());
    }
    map.clear();
    assertThat(map.size()).isZero();
    assertThat(map.oldest()).isEqualTo(BlockKeyMap.NONE);
  }
}

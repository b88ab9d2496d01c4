package io.inferencecache.index.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class LongIntTableTest {

  /** An operation: put (value != 0) or remove (value == 0) of a key from a small, colliding set. */
  record Op(long key, int value) {}

  @Provide
  Arbitrary<List<Op>> operations() {
    Arbitrary<Long> keys =
        Arbitraries.oneOf(
            Arbitraries.longs().between(-40, 40), // dense, many collisions, includes 0
            Arbitraries.longs());
    Arbitrary<Integer> values = Arbitraries.integers().between(-3, 1000);
    return Combinators.combine(keys, values)
        .as((k, v) -> new Op(k, v < 0 ? 0 : v))
        .list()
        .ofMaxSize(2000);
  }

  @Property(tries = 200)
  void behavesLikeAHashMap(@ForAll("operations") List<Op> ops) {
    LongIntTable table = new LongIntTable();
    Map<Long, Integer> model = new HashMap<>();
    for (Op op : ops) {
      if (op.value() == 0) {
        Integer expected = model.remove(op.key());
        assertThat(table.remove(op.key())).isEqualTo(expected == null ? 0 : expected);
      } else {
        Integer expected = model.put(op.key(), op.value());
        assertThat(table.put(op.key(), op.value())).isEqualTo(expected == null ? 0 : expected);
      }
      assertThat(table.size()).isEqualTo(model.size());
    }
    for (Map.Entry<Long, Integer> e : model.entrySet()) {
      assertThat(table.get(e.getKey())).isEqualTo(e.getValue());
    }
    assertThat(java.util.Arrays.stream(table.keysForTest()).boxed().toList())
        .containsExactlyInAnyOrderElementsOf(model.keySet());
    assertThat(table.capacity() * LongIntTable.MAX_LOAD_PERCENT / 100)
        .isGreaterThanOrEqualTo(table.size() - (model.containsKey(0L) ? 1 : 0));
  }

  @Test
  void iteratesAndRemovesBySlot() {
    LongIntTable table = new LongIntTable();
    for (long k = 1; k <= 100; k++) {
      table.put(k, (int) k);
    }
    int removed = 0;
    for (int i = 0; i < table.capacity(); ) {
      int value = table.valueAt(i);
      if (value != 0 && value % 2 == 0) {
        table.removeAt(i);
        removed++;
        continue; // the backward shift may have moved an entry into slot i
      }
      i++;
    }
    assertThat(removed).isGreaterThanOrEqualTo(45);
    for (long k = 1; k <= 100; k++) {
      if (k % 2 == 1) {
        assertThat(table.get(k)).isEqualTo((int) k);
      }
    }
  }

  @Test
  void refusesTheAbsentValue() {
    assertThatThrownBy(() -> new LongIntTable().put(1, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void capacityIsAPowerOfTwoLessTheHeaderAtMostEightyPercentFull() {
    assertThat(LongIntTable.capacityFor(0)).isEqualTo(14);
    assertThat(LongIntTable.capacityFor(11)).isEqualTo(14);
    assertThat(LongIntTable.capacityFor(12)).isEqualTo(30);
    assertThat(LongIntTable.capacityFor(1_250_000)).isEqualTo((1 << 21) - 2);
  }

  @Test
  void aLargeTableFillsWholeHeapRegions() {
    // 2^21 slots less two, header included: 8 bytes short of six 4 MiB regions, not 16 bytes over.
    LongIntTable table = new LongIntTable(1_250_000);
    assertThat(table.arrayBytes()).isEqualTo(6L * (4 << 20) - 8);
    for (int k = 10; k <= 28; k++) {
      long bytes = 16 + 12L * LongIntTable.capacityFor((int) ((1L << k) * 3 / 5));
      assertThat(bytes).isLessThanOrEqualTo(12L << k);
    }
  }

  @Test
  void growsAndShrinksAcrossTheWrapOfANonPowerOfTwoTable() {
    LongIntTable table = new LongIntTable();
    java.util.Map<Long, Integer> model = new java.util.HashMap<>();
    java.util.Random random = new java.util.Random(7);
    for (int round = 0; round < 20_000; round++) {
      long key = random.nextInt(3_000) - 1_500;
      if (random.nextInt(3) == 0) {
        Integer gone = model.remove(key);
        assertThat(table.remove(key)).isEqualTo(gone == null ? 0 : gone);
      } else {
        int value = 1 + random.nextInt(1_000);
        Integer previous = model.put(key, value);
        assertThat(table.put(key, value)).isEqualTo(previous == null ? 0 : previous);
      }
    }
    for (long key = -1_500; key < 1_500; key++) {
      assertThat(table.get(key)).isEqualTo(model.getOrDefault(key, 0));
    }
    assertThat(table.size()).isEqualTo(model.size());
    assertThat((table.capacity() + 2) & (table.capacity() + 1)).isZero();
  }
}

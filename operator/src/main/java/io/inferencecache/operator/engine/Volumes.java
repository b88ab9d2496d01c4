package io.inferencecache.operator.engine;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Volume and mount edits that keep the user's objects. */
final class Volumes {

  private Volumes() {}

  /**
   * The volume the engine already mounts at {@code /dev/shm}, when it can serve as the L1 pool (a
   * writable memory emptyDir of at least {@code budget} bytes, no subPathExpr); null when there is
   * none.
   *
   * @throws IllegalArgumentException when there is one that cannot serve
   */
  static @Nullable String devShm(PodSpec spec, Container engine, BigDecimal budget) {
    if (engine.getVolumeMounts() == null) {
      return null;
    }
    for (VolumeMount mount : engine.getVolumeMounts()) {
      if (!"/dev/shm".equals(mount.getMountPath())) {
        continue;
      }
      Volume volume = find(spec, mount.getName());
      boolean memory =
          volume != null
              && volume.getEmptyDir() != null
              && "Memory".equals(volume.getEmptyDir().getMedium());
      Quantity limit = memory ? volume.getEmptyDir().getSizeLimit() : null;
      if (!memory
          || Boolean.TRUE.equals(mount.getReadOnly())
          || mount.getSubPathExpr() != null
          || limit == null
          || Quantity.getAmountInBytes(limit).compareTo(budget) < 0) {
        throw new IllegalArgumentException(
            "the engine's /dev/shm mount cannot hold the L1 pool: it must be a writable Memory"
                + " emptyDir with sizeLimit of at least l1Capacity + 1Gi");
      }
      return mount.getName();
    }
    return null;
  }

  private static @Nullable Volume find(PodSpec spec, String name) {
    if (spec.getVolumes() != null) {
      for (Volume v : spec.getVolumes()) {
        if (name.equals(v.getName())) {
          return v;
        }
      }
    }
    return null;
  }

  /** Adds {@code volume}; an equal one is kept, a different one of the same name stops wiring. */
  static void adopt(PodSpec spec, Volume volume) {
    Volume existing = find(spec, volume.getName());
    if (existing != null) {
      if (!existing.equals(volume)) {
        throw new IllegalArgumentException(
            "the pod already has a different volume named " + volume.getName());
      }
      return;
    }
    List<Volume> volumes =
        spec.getVolumes() == null ? new ArrayList<>() : new ArrayList<>(spec.getVolumes());
    volumes.add(volume);
    spec.setVolumes(volumes);
  }

  /** Mounts {@code volume} at {@code path} in {@code c} unless it is mounted there already. */
  static void mount(Container c, String volume, String path) {
    List<VolumeMount> mounts =
        c.getVolumeMounts() == null ? new ArrayList<>() : new ArrayList<>(c.getVolumeMounts());
    for (VolumeMount m : mounts) {
      if (path.equals(m.getMountPath())) {
        if (!volume.equals(m.getName())) {
          throw new IllegalArgumentException(
              "the engine already mounts " + m.getName() + " at " + path);
        }
        return;
      }
    }
    mounts.add(new VolumeMountBuilder().withName(volume).withMountPath(path).build());
    c.setVolumeMounts(mounts);
  }
}

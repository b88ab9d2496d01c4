package io.inferencecache.bench;

import java.lang.management.GarbageCollectorMXBean;
import javax.management.ObjectName;

/**
 * A collector bean for tests, named as a JVM names its collectors; what it has counted is the
 * subclass's. The JVM's own beans count the collections that happened, which a test cannot order.
 */
abstract class CollectorBean implements GarbageCollectorMXBean {
  private final String name;

  CollectorBean(String name) {
    this.name = name;
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public boolean isValid() {
    return true;
  }

  @Override
  public String[] getMemoryPoolNames() {
    return new String[0];
  }

  @Override
  public ObjectName getObjectName() {
    return null;
  }
}

/** Direct ingest: engine events applied to the server's index in process. */
@NullMarked
package io.inferencecache.server.ingest;

import org.jspecify.annotations.NullMarked;

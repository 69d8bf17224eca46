//! glob (stub: to be written).

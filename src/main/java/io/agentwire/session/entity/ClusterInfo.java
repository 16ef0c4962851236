package io.agentwire.session.entity;

/**
 * This instance's place in the cluster, for diagnostics: its member id, how many members there are
 * now, and after how many seconds without a heartbeat Hazelcast removes a member (and its runs end
 * {@code instance_lost}).
 */
public record ClusterInfo(String member, int members, long failureDetectionSeconds) {}

import { describe, expect, it } from 'vitest';
import { diagnoseLimit, type LimitInputs } from './saturation.js';

const calmLimited: LimitInputs = {
  requestedRatePerSecond: 1_000,
  sentRatePerSecond: 1_000,
  achievedRatePerSecond: 998,
  receivedPerGroupPerSecond: 997,
  sendDelayP99Us: 1_500,
  latencyP99Us: 2_000,
  windowFullCount: 0,
  backpressureShare: 0,
  eventLoopUtilization: 0.3,
  eventLoopLagP99Ms: 2,
  queues: { harnessMeanBytes: 4_000, peerMeanBytes: 6_000 },
};

const unlimited: LimitInputs = {
  ...calmLimited,
  requestedRatePerSecond: 0,
  sendDelayP99Us: null,
  sentRatePerSecond: 30_100,
  achievedRatePerSecond: 30_000,
  receivedPerGroupPerSecond: 29_500,
  latencyP99Us: 200_000,
};

describe('diagnoseLimit', () => {
  it('credits the requested rate when the schedule was kept', () => {
    expect(diagnoseLimit(calmLimited)).toMatchObject({
      limitedBy: 'requested-rate',
      harnessSaturated: false,
      saturationReasons: [],
    });
  });

  it('blames the harness when the schedule slipped while the broker was not pushing back', () => {
    const diagnosis = diagnoseLimit({
      ...calmLimited,
      sentRatePerSecond: 702,
      achievedRatePerSecond: 700,
      receivedPerGroupPerSecond: 700,
      sendDelayP99Us: 80_000,
    });
    expect(diagnosis.limitedBy).toBe('harness');
    expect(diagnosis.harnessSaturated).toBe(true);
    expect(diagnosis.saturationReasons).toHaveLength(1);
    expect(diagnosis.saturationReasons[0]).toMatch(
      /sent 702 msg\/s and confirmed 700 msg\/s of the requested 1000 msg\/s while the broker was not pushing back/,
    );
  });

  it('keeps the rate but distrusts the latency when sends were late by a large part of it', () => {
    const late = diagnoseLimit({ ...calmLimited, sendDelayP99Us: 60_000, latencyP99Us: 90_000 });
    expect(late).toMatchObject({ limitedBy: 'requested-rate', harnessSaturated: true });
    expect(late.saturationReasons[0]).toMatch(
      /send delay p99 was 60000 µs .*66.7% of the latency p99.*latency from the intended send time includes the harness/,
    );
    expect(diagnoseLimit({ ...calmLimited, sendDelayP99Us: 30_000, latencyP99Us: 900_000 }).harnessSaturated).toBe(
      false,
    );
  });

  it('blames the system under test when the schedule was kept but the subscriber fell behind', () => {
    const diagnosis = diagnoseLimit({ ...calmLimited, receivedPerGroupPerSecond: 600 });
    expect(diagnosis).toMatchObject({ limitedBy: 'system-under-test', harnessSaturated: false });
    expect(diagnosis.evidence[0]).toMatch(/but messages arrived at 600 msg\/s per subscriber/);
  });

  // A broker that confirms 300 ms late at 500 msg/s for 4 s stretches the confirmed rate's window to
  // 4.3 s (465 msg/s): judged on the confirmed rate alone, the sender "could not keep the schedule"
  // and a failed timing gate became inconclusive, though every send was on time.
  it('blames the system under test when the sender kept its schedule but the broker confirmed slower', () => {
    const diagnosis = diagnoseLimit({
      ...calmLimited,
      requestedRatePerSecond: 500,
      sentRatePerSecond: 500,
      achievedRatePerSecond: 465,
      receivedPerGroupPerSecond: 499,
    });
    expect(diagnosis).toMatchObject({ limitedBy: 'system-under-test', harnessSaturated: false, saturationReasons: [] });
    expect(diagnosis.evidence[0]).toMatch(
      /^sent 500 msg\/s on schedule but confirmed 465 msg\/s of the requested 500 msg\/s .*the broker confirmed slower than the sender published/,
    );
  });

  it('falls back to the confirmed rate when the sent rate is unknown', () => {
    const diagnosis = diagnoseLimit({ ...calmLimited, sentRatePerSecond: null, achievedRatePerSecond: 700 });
    expect(diagnosis).toMatchObject({ limitedBy: 'harness', harnessSaturated: true });
    expect(diagnosis.saturationReasons[0]).toMatch(/^sent 700 msg\/s and confirmed 700 msg\/s/);
  });

  it('blames the broker when a rate-limited run fell short because publishers waited on it', () => {
    const diagnosis = diagnoseLimit({
      ...calmLimited,
      sentRatePerSecond: 702,
      achievedRatePerSecond: 700,
      backpressureShare: 0.6,
      windowFullCount: 40,
    });
    expect(diagnosis).toMatchObject({ limitedBy: 'system-under-test', harnessSaturated: false });
    expect(diagnosis.evidence[0]).toMatch(/publishers waited on broker backpressure 60% of the send phase/);
  });

  it('blames the harness when the unread data waited at the harness with a busy loop, even with full windows', () => {
    const diagnosis = diagnoseLimit({
      ...unlimited,
      eventLoopUtilization: 0.99,
      backpressureShare: 0.8,
      queues: { harnessMeanBytes: 900 * 1024, peerMeanBytes: 20 * 1024 },
    });
    expect(diagnosis.limitedBy).toBe('harness');
    expect(diagnosis.saturationReasons[0]).toMatch(
      /the harness's sockets held most of the unread data \(unread bytes waiting on average: 900 KB at the harness, 20 KB at the broker\) while the harness event loop busy 99%/,
    );
  });

  it('does not blame a busy harness whose publishers waited on the broker (worker threads: a busy thread is expected)', () => {
    const diagnosis = diagnoseLimit({
      ...unlimited,
      eventLoopUtilization: 0.99,
      backpressureShare: 0.7,
      queues: { harnessMeanBytes: 100 * 1024, peerMeanBytes: 80 * 1024 },
    });
    expect(diagnosis).toMatchObject({ limitedBy: 'system-under-test', harnessSaturated: false });
  });

  it('blames the path, not a busy harness, when messages arrived slower than they were confirmed (a forwarder behind)', () => {
    const diagnosis = diagnoseLimit({
      ...unlimited,
      eventLoopUtilization: 0.99,
      backpressureShare: 0.01,
      receivedPerGroupPerSecond: 4_000,
    });
    expect(diagnosis).toMatchObject({ limitedBy: 'system-under-test', harnessSaturated: false });
    expect(diagnosis.evidence[0]).toMatch(
      /messages arrived at 4000 msg\/s per subscriber while confirmed 30000 msg\/s .*the backlog waited in the system under test/,
    );
  });

  it('blames a busy harness whose publishers were free to send (CPU-bound)', () => {
    const diagnosis = diagnoseLimit({ ...unlimited, eventLoopUtilization: 0.99, backpressureShare: 0.05 });
    expect(diagnosis.limitedBy).toBe('harness');
    expect(diagnosis.saturationReasons[0]).toMatch(
      /publishers were free to send 95% of the time and messages arrived as fast as they were confirmed: the harness could not publish faster/,
    );
  });

  it('credits the broker when its sockets held most of the unread data, whatever the harness loop did', () => {
    const diagnosis = diagnoseLimit({
      ...unlimited,
      eventLoopUtilization: 0.99,
      backpressureShare: 0.2,
      queues: { harnessMeanBytes: 34 * 1024, peerMeanBytes: 1_500 * 1024 },
    });
    expect(diagnosis).toMatchObject({ limitedBy: 'system-under-test', harnessSaturated: false });
    expect(diagnosis.evidence[0]).toMatch(
      /the broker's sockets held most of the unread data \(unread bytes waiting on average: 34 KB at the harness, 1500 KB at the broker\)/,
    );
    // Queues of the same order say nothing; neither do small ones.
    expect(
      diagnoseLimit({
        ...unlimited,
        eventLoopUtilization: 0.99,
        backpressureShare: 0.2,
        queues: { harnessMeanBytes: 160 * 1024, peerMeanBytes: 260 * 1024 },
      }).limitedBy,
    ).toBe('harness');
    expect(
      diagnoseLimit({
        ...unlimited,
        eventLoopUtilization: 0.99,
        backpressureShare: 0.2,
        queues: { harnessMeanBytes: 1_000, peerMeanBytes: 40_000 },
      }).limitedBy,
    ).toBe('harness');
  });

  it('says when the harness was starved of CPU by other processes', () => {
    const diagnosis = diagnoseLimit({
      ...unlimited,
      eventLoopUtilization: 0.99,
      backpressureShare: 0.05,
      cpuCores: { used: 0.5, threads: 1 },
    });
    expect(diagnosis.limitedBy).toBe('harness');
    expect(diagnosis.saturationReasons[1]).toMatch(
      /the harness got 50% of a core over 1 thread\(s\) while its event loop was busy 99%: other processes held the CPU/,
    );
    expect(
      diagnoseLimit({
        ...unlimited,
        eventLoopUtilization: 0.99,
        backpressureShare: 0.05,
        cpuCores: { used: 0.97, threads: 1 },
      }).saturationReasons,
    ).toHaveLength(1);
  });

  it('credits the system under test when the harness had idle time', () => {
    expect(diagnoseLimit({ ...unlimited, eventLoopUtilization: 0.6, backpressureShare: 0.2 })).toMatchObject({
      limitedBy: 'system-under-test',
      harnessSaturated: false,
    });
  });

  it('flags latencies when event-loop lag is a large part of them, not when it is small beside them', () => {
    const lagging = diagnoseLimit({ ...calmLimited, eventLoopLagP99Ms: 120, latencyP99Us: 150_000 });
    expect(lagging.harnessSaturated).toBe(true);
    expect(lagging.limitedBy).toBe('requested-rate');
    expect(lagging.saturationReasons.join('\n')).toMatch(/lag p99 was 120 ms .*latencies include harness queueing/);
    expect(
      diagnoseLimit({ ...unlimited, eventLoopLagP99Ms: 60, latencyP99Us: 2_000_000, backpressureShare: 0.9 })
        .harnessSaturated,
    ).toBe(false);
  });
});

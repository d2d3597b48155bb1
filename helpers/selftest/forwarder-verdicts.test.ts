import { describe, expect, test } from 'vitest';
import type { FailedTest, ReportResult, TestbenchReport } from '../report/report-types.js';
import type { FaultyForwarderStats } from './faulty-forwarder/stats.js';
import { defectProblems, type DefectExpectation } from './forwarder-verdicts.js';

const FWD = 'command:node dist/selftest-faulty-forwarder.mjs --mode drop';
const LOSS = 'suites/forwarding-loss.test.ts';

function failure(file: string, name: string, error: string, forwarder = FWD): FailedTest {
  const fullName = `forwarding loss > through the forwarder > external>external via ${forwarder} > ${name}`;
  return { test: { name, fullName, file } as FailedTest['test'], error, measured: true };
}

function report(failures: FailedTest[], lost: number[]): TestbenchReport {
  const results = lost.map(
    (n) =>
      ({
        suite: 'forwarding-loss',
        scenario: 'light',
        qos: 1,
        subject: { kind: 'topology', forwarder: FWD },
        counters: { lost: n },
      }) as unknown as ReportResult,
  );
  return { failures, results } as unknown as TestbenchReport;
}

function stats(dropped: Record<string, number>): FaultyForwarderStats[] {
  const topics = Object.fromEntries(Object.entries(dropped).map(([topic, n]) => [topic, { dropped: n }]));
  return [{ mode: 'drop', description: '', pid: 1, resumedSession: false, totals: {}, topics, samples: ['x'] }];
}

const DROP: DefectExpectation = {
  files: [LOSS],
  failures: 1,
  failing: /light QoS 1 pass-through/,
  message: /max loss rate broken/,
  counted: {
    kind: 'results',
    counter: 'lost',
    figure: 'dropped',
    results: (r) => r.suite === 'forwarding-loss',
    topics: /\/light-\d+-[0-9a-f]+\//,
  },
};
const RIGHT = failure(LOSS, 'light QoS 1 pass-through', 'light: max loss rate broken: lost 4 of 210');
const DROPPED = { 'm/down/pass/light-3-ab12/p0': 4, 'm/down/pass/probe-1-cd34/p': 1 };

describe('forwarder self-test verdicts', () => {
  test('the right test failed, saying so, counting exactly what the forwarder dropped on its topics: no problem', () => {
    expect(defectProblems(report([RIGHT], [4]), FWD, 'drop', [DROP], stats(DROPPED))).toEqual([]);
  });

  test('a failure elsewhere, a vague message, a wrong count and a missing failure are each named', () => {
    const other = failure(LOSS, 'light QoS 0 pass-through', 'timed out');
    expect(defectProblems(report([RIGHT, other], [4]), FWD, 'drop', [DROP], stats(DROPPED))).toEqual([
      expect.stringMatching(/^tests that have nothing to do with "drop" failed: .*light QoS 0/),
      expect.stringMatching(/^failure messages that do not say what was wrong .*timed out/),
      expect.stringMatching(/2 test\(s\) failed, expected 1/),
    ]);
    expect(defectProblems(report([RIGHT], [3]), FWD, 'drop', [DROP], stats(DROPPED))).toEqual([
      expect.stringMatching(/the suites counted 3 lost message\(s\) .*the forwarder dropped exactly 4/),
    ]);
    expect(defectProblems(report([], [0]), FWD, 'drop', [DROP], stats(DROPPED))).toEqual([
      'no test failed: the suites did not catch "drop"',
      expect.stringMatching(/0 test\(s\) failed, expected 1/),
      expect.stringMatching(/the suites counted 0 lost/),
    ]);
  });

  test("a control's failures are not the defect's", () => {
    const control = failure(LOSS, 'light QoS 1 pass-through', 'max loss rate broken', 'reference');
    expect(defectProblems(report([RIGHT, control], [4]), FWD, 'drop', [DROP], stats(DROPPED))).toEqual([]);
  });

  test('qos-matrix: the count in each failed cell is what the forwarder re-QoSed in that cell', () => {
    const cell = (n: number) =>
      ({
        test: {
          file: 'suites/qos-matrix.test.ts',
          fullName: `qos matrix: through the forwarder > external>external via ${FWD} > MQTT 3.1.1 > pub QoS 1 / sub QoS 1 → delivered QoS 1`,
        },
        error: `delivered QoS 0 on ${n} of 30 messages, expected 1 = min(...)`,
        measured: true,
      }) as FailedTest;
    const expected: DefectExpectation = {
      files: ['suites/qos-matrix.test.ts'],
      failures: 1,
      failing: /pub QoS 1/,
      message: /delivered QoS 0/,
      counted: { kind: 'qos-cells' },
    };
    const changed: FaultyForwarderStats[] = [
      {
        ...(stats({})[0] as FaultyForwarderStats),
        topics: { 'm/down/pass/qos-p1s1v4-7-ab12/cell': { qosChanged: 30 } },
      },
    ];
    expect(defectProblems(report([cell(30)], []), FWD, 'downgrade', [expected], changed)).toEqual([]);
    expect(defectProblems(report([cell(29)], []), FWD, 'downgrade', [expected], changed)).toEqual([
      expect.stringMatching(/counted 29 message\(s\) at a wrong QoS, the forwarder changed the QoS of 30/),
    ]);
  });
});

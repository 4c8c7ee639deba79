import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseSchedule, SCHEDULE_WORDS, scheduleProblem } from '../../lib/spec';
import { errorsOf, yamlErrorsOf } from '../helpers';

/**
 * training.schedule: when the training pipeline runs by itself, as an EventBridge Scheduler
 * expression (AWS's six-field cron, or rate), or a friendly word translated to one.
 */
const SPEC = (schedule: string) => `project: acme
environments:
  dev:
    aws: { account: "111111111111", region: us-east-1 }
models:
  fraud:
    training:
      image: { sagemaker: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5-gpu }
      output: { sagemaker: s3://acme-models/fraud/ }
      resources: { accelerator: A10G, count: 1 }
      schedule: ${schedule}
    serving:
      image: { sagemaker: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5-gpu }
      resources: { accelerator: T4, count: 1 }
`;

/** The one error of a spec with this schedule (line 11, column 17 is the value). */
const errorOf = (schedule: string) => yamlErrorsOf(SPEC(schedule));
const AT = 'mlspec.yaml:11:17  models.fraud.training.schedule:';

describe('training.schedule', () => {
  it('is optional', () => {
    expect(yamlErrorsOf(SPEC('daily').replace(/ {6}schedule: .*\n/, ''))).toEqual([]);
  });

  describe('accepts', () => {
    it.each([
      ['daily', 'cron(0 0 * * ? *)'],
      ['hourly', 'cron(0 * * * ? *)'],
      ['weekly', 'cron(0 0 ? * SUN *)'],
      ['monthly', 'cron(0 0 1 * ? *)'],
      ['Daily', 'cron(0 0 * * ? *)'],
      ['rate(1 minute)', 'rate(1 minute)'],
      ['rate(5 minutes)', 'rate(5 minutes)'],
      ['rate(1 hour)', 'rate(1 hour)'],
      ['rate(12 hours)', 'rate(12 hours)'],
      ['rate(1 day)', 'rate(1 day)'],
      ['rate(7 days)', 'rate(7 days)'],
      ['Rate( 7  Days )', 'rate(7 days)'],
      ['cron(0 3 * * ? *)', 'cron(0 3 * * ? *)'],
      ['cron(0  3 * * ?  *)', 'cron(0 3 * * ? *)'],
      ['cron(0 9 ? * mon-fri *)', 'cron(0 9 ? * MON-FRI *)'],
      ['cron(0/15 * * * ? *)', 'cron(0/15 * * * ? *)'],
      ['cron(*/15 * ? * MON-FRI *)', 'cron(*/15 * ? * MON-FRI *)'],
      ['cron(0 8 1,15 JAN-JUN ? 2026-2030)', 'cron(0 8 1,15 JAN-JUN ? 2026-2030)'],
      ['cron(0 0 L * ? *)', 'cron(0 0 L * ? *)'],
      ['cron(0 0 LW * ? *)', 'cron(0 0 LW * ? *)'],
      ['cron(0 0 3W * ? *)', 'cron(0 0 3W * ? *)'],
      ['cron(15 10 ? * 6L 2019-2022)', 'cron(15 10 ? * 6L 2019-2022)'],
      ['cron(0 0 ? * 3#2 *)', 'cron(0 0 ? * 3#2 *)'],
      ['cron(59 23 31 12 ? 2199)', 'cron(59 23 31 12 ? 2199)'],
    ])('%s as %s', (written, expression) => {
      expect(parseSchedule(written)).toEqual({ expression });
      expect(scheduleProblem(written)).toBeUndefined();
    });

    it('in YAML, plain or quoted', () => {
      expect(errorOf('cron(0 3 ? * MON-FRI *)')).toEqual([]);
      expect(errorOf('"cron(0 3 ? * 3#2 *)"')).toEqual([]);
      expect(errorOf('rate(12 hours)')).toEqual([]);
      expect(errorOf('weekly')).toEqual([]);
    });
  });

  describe('rejects, saying what is wrong and what would be right', () => {
    it('a rate unit EventBridge does not take', () => {
      expect(errorOf('rate(5 mins)')).toEqual([`${AT} "rate(5 mins)" has the unit "mins"; EventBridge takes minute(s), hour(s) or day(s): write rate(5 minutes)`]);
      expect(errorOf('rate(2 weeks)')).toEqual([`${AT} "rate(2 weeks)" has the unit "weeks"; EventBridge takes minute(s), hour(s) or day(s): write rate(14 days)`]);
      expect(errorOf('rate(2 fortnights)')).toEqual([`${AT} "rate(2 fortnights)" has the unit "fortnights"; EventBridge takes minute(s), hour(s) or day(s), such as rate(12 hours)`]);
    });

    it('a plural unit with 1, a singular one with more', () => {
      expect(errorOf('rate(1 hours)')).toEqual([`${AT} "rate(1 hours)" has the plural hours with 1; EventBridge takes the singular there: write rate(1 hour)`]);
      expect(errorOf('rate(5 hour)')).toEqual([`${AT} "rate(5 hour)" has the singular hour with 5; EventBridge takes the plural there: write rate(5 hours)`]);
    });

    it('a rate value that is not a whole number above 0', () => {
      expect(errorOf('rate(0 hours)')).toEqual([`${AT} "rate(0 hours)" has the value 0; the value must be a whole number above 0, such as rate(12 hours)`]);
      expect(errorOf('rate(1.5 hours)')).toEqual([`${AT} "rate(1.5 hours)" has the value 1.5; the value must be a whole number above 0: write rate(90 minutes)`]);
    });

    it('a rate without a unit', () => {
      expect(errorOf('rate(5)')).toEqual([`${AT} "rate(5)" is not a rate expression; write rate(value unit), such as rate(12 hours) or rate(1 day)`]);
    });

    it('a five-field Unix cron, translated', () => {
      const layout = 'AWS cron has 6 (minutes hours day-of-month month day-of-week year) with ? in one of the day fields';
      expect(errorOf('cron(0 3 * * *)')).toEqual([`${AT} "cron(0 3 * * *)" has 5 fields, like Unix cron; ${layout}: write cron(0 3 * * ? *)`]);
      expect(errorOf('"0 3 * * 1-5"')).toEqual([`${AT} "0 3 * * 1-5" has 5 fields, like Unix cron; ${layout}: write cron(0 3 ? * 2-6 *) (AWS numbers the days 1-7 from SUN)`]);
      expect(errorOf('cron(30 6 1 * 0)')).toEqual([
        `${AT} "cron(30 6 1 * 0)" has 5 fields, like Unix cron; ${layout}: write cron(30 6 1 * ? *) or cron(30 6 ? * 1 *) (AWS numbers the days 1-7 from SUN)`,
      ]);
    });

    it('another number of cron fields', () => {
      expect(errorOf('cron(0 3 * *)')).toEqual([`${AT} "cron(0 3 * *)" has 4 fields; AWS cron has 6 (minutes hours day-of-month month day-of-week year), such as cron(0 3 * * ? *)`]);
    });

    it('six cron fields without cron(...)', () => {
      expect(errorOf('"0 3 * * ? *"')).toEqual([`${AT} "0 3 * * ? *" needs cron(...) around it; write cron(0 3 * * ? *)`]);
    });

    it('both day fields set, or neither', () => {
      expect(errorOf('cron(0 3 * * MON *)')).toEqual([`${AT} "cron(0 3 * * MON *)" sets both day-of-month (*) and day-of-week (MON); AWS needs ? in one of them: write cron(0 3 ? * MON *)`]);
      expect(errorOf('cron(0 3 1 * MON *)')).toEqual([
        `${AT} "cron(0 3 1 * MON *)" sets both day-of-month (1) and day-of-week (MON); AWS needs ? in one of them: write cron(0 3 1 * ? *) or cron(0 3 ? * MON *)`,
      ]);
      expect(errorOf('cron(0 3 ? * ? *)')).toEqual([`${AT} "cron(0 3 ? * ? *)" has ? in both day-of-month and day-of-week; one of them needs a value: write cron(0 3 * * ? *) for every day`]);
    });

    it('a value out of its field’s range', () => {
      expect(errorOf('cron(60 3 * * ? *)')).toEqual([`${AT} "cron(60 3 * * ? *)": minutes 60 is out of range; use 0-59`]);
      expect(errorOf('cron(0 24 * * ? *)')).toEqual([`${AT} "cron(0 24 * * ? *)": hours 24 is out of range; use 0-23`]);
      expect(errorOf('cron(0 3 32 * ? *)')).toEqual([`${AT} "cron(0 3 32 * ? *)": day-of-month 32 is out of range; use 1-31`]);
      expect(errorOf('cron(0 3 1 13 ? *)')).toEqual([`${AT} "cron(0 3 1 13 ? *)": month 13 is out of range; use 1-12 or JAN-DEC`]);
      expect(errorOf('cron(0 3 ? * 0 *)')).toEqual([`${AT} "cron(0 3 ? * 0 *)": day-of-week 0 is out of range; use 1-7 (1 is SUN) or SUN-SAT`]);
      expect(errorOf('cron(0 3 * * ? 1969)')).toEqual([`${AT} "cron(0 3 * * ? 1969)": year 1969 is out of range; use 1970-2199`]);
    });

    it('a misspelt month or day', () => {
      expect(errorOf('cron(0 3 ? * MOM *)')).toEqual([`${AT} "cron(0 3 ? * MOM *)": day-of-week "MOM" is not a day; did you mean "MON"?`]);
      expect(errorOf('cron(0 3 1 JAM ? *)')).toEqual([`${AT} "cron(0 3 1 JAM ? *)": month "JAM" is not a month; did you mean "JAN"?`]);
    });

    it('a wildcard the field does not take', () => {
      expect(errorOf('cron(0 ? * * ? *)')).toEqual([`${AT} "cron(0 ? * * ? *)": hours takes no ?; ? is only for day-of-month or day-of-week`]);
      expect(errorOf('cron(0 3 ? * 1/2 *)')).toEqual([`${AT} "cron(0 3 ? * 1/2 *)": day-of-week takes no /; list the values instead, such as MON,WED,FRI`]);
      expect(errorOf('cron(0 3 ? * 3#2,6#3 *)')).toEqual([`${AT} "cron(0 3 ? * 3#2,6#3 *)": day-of-week "3#2,6#3" has more than one #; AWS takes a single day#week there, such as 2#1 (the first MON)`]);
      expect(errorOf('cron(0/0 3 * * ? *)')).toEqual([`${AT} "cron(0/0 3 * * ? *)": minutes "0/0" has the increment 0; use a whole number above 0, such as 0/15`]);
    });

    it('an unknown friendly word', () => {
      expect(errorOf('dayly')).toEqual([`${AT} "dayly" is not a schedule; did you mean "daily"?`]);
      expect(errorOf('nightly')).toEqual([
        `${AT} "nightly" is not a schedule; write hourly, daily, weekly or monthly, or an EventBridge Scheduler expression such as cron(0 3 * * ? *) (six fields: minutes hours day-of-month month day-of-week year) or rate(12 hours)`,
      ]);
    });

    it('a one-time at(...) schedule', () => {
      expect(errorOf('at(2026-01-01T00:00:00)')).toEqual([`${AT} "at(2026-01-01T00:00:00)" runs once; a training schedule repeats: write a cron(...) or rate(...) expression, such as cron(0 3 * * ? *)`]);
    });

    it('a value that is not text', () => {
      expect(errorOf('24')).toEqual([`${AT} number 24 is not allowed here; expected text`]);
    });

    it('the same in a TypeScript spec, with the path', () => {
      const spec = {
        project: 'acme',
        environments: { dev: { aws: { account: '111111111111', region: 'us-east-1' } } },
        models: {
          fraud: {
            training: { image: { sagemaker: 'x' }, output: { sagemaker: 's3://a/' }, resources: { accelerator: 'A10G', count: 1 }, schedule: 'rate(1 hours)' },
            serving: { image: { sagemaker: 'y' }, resources: { accelerator: 'T4', count: 1 } },
          },
        },
      };
      expect(errorsOf(spec, {})).toEqual(['models.fraud.training.schedule: "rate(1 hours)" has the plural hours with 1; EventBridge takes the singular there: write rate(1 hour)']);
    });
  });

  it('docs/SPEC.md documents every friendly word and what it becomes', () => {
    const doc = readFileSync(path.resolve(__dirname, '../../docs/SPEC.md'), 'utf8');
    for (const [word, expression] of Object.entries(SCHEDULE_WORDS)) expect(doc).toContain(`| \`${word}\` | \`${expression}\``);
  });
});

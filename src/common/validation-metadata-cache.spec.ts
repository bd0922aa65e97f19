import 'reflect-metadata';
import { getMetadataStorage, IsInt, IsString, validateSync } from 'class-validator';
import { cacheValidationMetadata } from './validation-metadata-cache';

class Base {
  @IsString()
  name!: string;
}

class Child extends Base {
  @IsInt()
  count!: number;

  @IsInt({ groups: ['strict'] })
  limit!: number;
}

const problems = (o: object, groups?: string[]): string[] =>
  validateSync(o, { groups })
    .map((e) => e.property)
    .sort();

describe('cacheValidationMetadata', () => {
  const storage = getMetadataStorage();
  const before = storage.getTargetValidationMetadatas(Child, '', false, false);
  cacheValidationMetadata(storage);
  cacheValidationMetadata(storage); // a second install is a no-op

  it('answers what class-validator answers: own and inherited rules, per group', () => {
    const after = storage.getTargetValidationMetadatas(Child, '', false, false);
    expect(after.map((m) => m.propertyName).sort()).toEqual(before.map((m) => m.propertyName).sort());
    const bad = Object.assign(new Child(), { name: 1, count: 'x', limit: 'y' });
    expect(problems(bad)).toEqual(['count', 'limit', 'name']);
    expect(problems(bad, ['strict'])).toEqual(['limit']);
    expect(problems(Object.assign(new Base(), { name: 2 }))).toEqual(['name']);
  });

  it('looks a class up once, and again after a rule is registered', () => {
    const first = storage.getTargetValidationMetadatas(Child, '', false, false);
    expect(storage.getTargetValidationMetadatas(Child, '', false, false)).toBe(first);
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
    const ok = Object.assign(new Child(), { name: 'a', count: 1, limit: 2, label: 3 });
    expect(problems(ok)).toEqual([]);
    // A rule added at run time, after the class was validated, is enforced from then on.
    IsString()(Child.prototype, 'label');
    expect(storage.getTargetValidationMetadatas(Child, '', false, false)).not.toBe(first);
    expect(problems(ok)).toEqual(['label']);
  });
});

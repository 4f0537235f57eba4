import { MongoClient, MongoServerError } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { isolate } from '@cdc/testkit';

const iso = isolate('mongo');
const client = new MongoClient(iso.env.MONGO_URL);

afterAll(() => client.close());

interface PatientDoc {
  _id: string;
  name: string;
  version: number;
}

describe('MongoDB wire server', () => {
  it('round-trips documents with the official driver', async () => {
    const patients = client.db(iso.mongoDatabase()).collection<PatientDoc>('patients');
    await patients.insertOne({ _id: 'p1', name: 'Ada', version: 1 });
    expect(await patients.findOne({ _id: 'p1' })).toEqual({ _id: 'p1', name: 'Ada', version: 1 });
  });

  it('upserts with a version guard: a replayed or older write matches nothing', async () => {
    const patients = client.db(iso.mongoDatabase()).collection<PatientDoc>('guarded');
    const write = (version: number, name: string) =>
      patients
        .updateOne({ _id: 'p2', version: { $lt: version } }, { $set: { name, version } })
        .then(async (result) => {
          if (result.matchedCount === 0 && !(await patients.findOne({ _id: 'p2' }))) {
            await patients.insertOne({ _id: 'p2', name, version });
            return 'inserted';
          }
          return result.modifiedCount === 1 ? 'updated' : 'ignored';
        });
    expect(await write(5, 'first')).toBe('inserted');
    expect(await write(7, 'newer')).toBe('updated');
    expect(await write(6, 'older')).toBe('ignored');
    expect(await write(7, 'replay')).toBe('ignored');
    expect(await patients.findOne({ _id: 'p2' })).toEqual({ _id: 'p2', name: 'newer', version: 7 });
  });

  it('enforces unique indexes with the duplicate-key error code', async () => {
    const people = client.db(iso.mongoDatabase()).collection('people');
    await people.createIndex({ email: 1 }, { unique: true });
    await people.insertOne({ email: 'ada@example.org' });
    const error = await people.insertOne({ email: 'ada@example.org' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(11000);
  });
});

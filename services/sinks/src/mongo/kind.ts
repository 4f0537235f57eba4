import { MongoClient } from 'mongodb';
import type { SinkKind } from '../sink-kind.ts';
import { MONGO_SUPPORTS, mongoSinkSchema } from './config.ts';
import { createMongoSink } from './mongo-sink.ts';

/** MongoDB (any MongoDB-wire server) in the registry of sink kinds (kinds.ts). */
export const mongoKind = {
  kind: 'mongodb',
  title: 'MongoDB',
  entry: mongoSinkSchema,
  supports: MONGO_SUPPORTS,
  defaultTarget: 'mongo',
  verifiable: true,
  create: (entry, context) => createMongoSink({ ...entry, url: context.url }),
  namespace: {
    // Documents go to the database named after the namespace.
    place: (entry, namespace) => ({ ...entry, database: namespace }),
    clean: async (url, namespace) => {
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
      try {
        await client.db(namespace).dropDatabase();
      } finally {
        await client.close();
      }
    },
  },
} as const satisfies SinkKind<typeof mongoSinkSchema>;

import pg from 'pg';

/**
 * A day at a vaccination network, compressed: facilities open, patients register and update
 * their details (some with typos the validators catch), vaccines are administered from stock,
 * appointments are booked, kept or cancelled, and a few patients ask to be forgotten. Seeded, so
 * two runs write the same changes.
 */

const GIVEN = [
  'Ada',
  'Noor',
  'Lucas',
  'Emma',
  'Hugo',
  'Léa',
  'Omar',
  'Chloé',
  'Yuki',
  'Inès',
  'Jules',
  'Zoé',
];
const FAMILY = [
  'Martin',
  'Bernard',
  'Dubois',
  'Thomas',
  'Robert',
  'Petit',
  'Durand',
  'Leroy',
  'Moreau',
  'Nguyen',
];
const REGIONS = ['Île-de-France', 'Bretagne', 'Occitanie', 'Grand Est', 'Normandie'];
const CVX = ['208', '140', '115', '133', '62', '21'];
const SEXES = ['female', 'male', 'other', 'unknown'];

/** mulberry32: a small seeded generator, so that the demo is repeatable. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LoadCounts {
  changes: number;
  /** Rows written with mistakes the validators are meant to catch. */
  invalid: number;
}

export interface DemoLoadOptions {
  readonly changes: number;
  readonly onProgress?: (done: number) => void;
}

/** Writes about `changes` row changes through a few connections; returns what it wrote. */
export async function runDemoLoad(url: string, options: DemoLoadOptions): Promise<LoadCounts> {
  const rand = random(20261122);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const counts: LoadCounts = { changes: 0, invalid: 0 };
  const facilities = 12;
  let patients = 0;
  let immunizations = 0;
  let appointments = 0;
  const inventory: number[] = [];
  const deleted = new Set<number>();
  try {
    const run = async (sql: string, values: unknown[], invalid = false) => {
      await client.query(sql, values);
      counts.changes += 1;
      if (invalid) counts.invalid += 1;
    };
    await client.query('begin');
    for (let id = 1; id <= facilities; id += 1) {
      await run('insert into facilities (id, name, region, phone, email) values ($1, $2, $3, $4, $5)', [
        id,
        `Centre de vaccination ${pick(FAMILY)} ${id}`,
        pick(REGIONS),
        `01 4${id % 10} 00 00 ${String(10 + id).padStart(2, '0')}`,
        `centre${id}@sante.example`,
      ]);
      for (const cvx of CVX.slice(0, 3)) {
        const stock = inventory.length + 1;
        inventory.push(stock);
        await run(
          `insert into vaccine_inventory (id, facility_id, vaccine_code, lot_number, quantity, expires_on)
           values ($1, $2, $3, $4, 500, current_date + 180)`,
          [stock, id, cvx, `LOT-${cvx}-${id}`],
        );
      }
    }
    await client.query('commit');
    options.onProgress?.(counts.changes);

    while (counts.changes < options.changes) {
      await client.query('begin');
      for (let i = 0; i < 20 && counts.changes < options.changes; i += 1) {
        const dice = rand();
        if (dice < 0.3 || patients < 20) {
          patients += 1;
          const bad = rand() < 0.04;
          await run(
            `insert into patients (id, mrn, given_name, family_name, birth_date, sex, phone, email, ssn, facility_id)
             values ($1, $2, $3, $4, date '1940-01-01' + $5::int, $6, $7, $8, $9, $10)`,
            [
              patients,
              bad ? `X${patients}` : `MRN${String(patients).padStart(6, '0')}`,
              ` ${pick(GIVEN).toLowerCase()} `,
              pick(FAMILY),
              Math.floor(rand() * 30000),
              pick(SEXES),
              `06 ${String(Math.floor(rand() * 1e8))
                .padStart(8, '0')
                .replace(/(\d\d)(?=\d)/gu, '$1 ')}`,
              bad ? 'not-an-address' : `patient${patients}@Mail.Example`,
              String(1e12 + Math.floor(rand() * 1e12)),
              1 + Math.floor(rand() * facilities),
            ],
            bad,
          );
        } else if (dice < 0.45) {
          const id = 1 + Math.floor(rand() * patients);
          if (deleted.has(id)) continue;
          await run('update patients set email = $2, updated_at = now() where id = $1', [
            id,
            `patient${id}.${Math.floor(rand() * 100)}@mail.example`,
          ]);
        } else if (dice < 0.65) {
          const patient = 1 + Math.floor(rand() * patients);
          if (deleted.has(patient)) continue;
          immunizations += 1;
          const stock = pick(inventory);
          await run(
            `insert into immunizations (id, patient_id, facility_id, vaccine_code, lot_number, dose_number, administered_at)
             select $1, $2, facility_id, vaccine_code, lot_number, $3, now() - make_interval(mins => $4) from vaccine_inventory where id = $5`,
            [immunizations, patient, 1 + Math.floor(rand() * 3), Math.floor(rand() * 10000), stock],
          );
          await run(
            'update vaccine_inventory set quantity = greatest(quantity - 1, 0), updated_at = now() where id = $1',
            [stock],
          );
        } else if (dice < 0.85) {
          const patient = 1 + Math.floor(rand() * patients);
          if (deleted.has(patient)) continue;
          appointments += 1;
          const bad = rand() < 0.03;
          const start = Math.floor(rand() * 60 * 24 * 30);
          await run(
            `insert into appointments (id, patient_id, facility_id, starts_at, ends_at, reason)
             values ($1, $2, $3, now() + make_interval(mins => $4), now() + make_interval(mins => $5), $6)`,
            [
              appointments,
              patient,
              1 + Math.floor(rand() * facilities),
              start,
              bad ? start - 15 : start + 15,
              'vaccination',
            ],
            bad,
          );
        } else if (dice < 0.97 && appointments > 0) {
          await run('update appointments set status = $2, updated_at = now() where id = $1', [
            1 + Math.floor(rand() * appointments),
            pick(['arrived', 'fulfilled', 'cancelled', 'noshow']),
          ]);
        } else if (patients > 50) {
          // The right to be forgotten: the patient and what refers to them.
          const id = 1 + Math.floor(rand() * patients);
          if (deleted.has(id)) continue;
          deleted.add(id);
          const gone = await client.query('delete from immunizations where patient_id = $1', [id]);
          const cancelled = await client.query('delete from appointments where patient_id = $1', [id]);
          counts.changes += (gone.rowCount ?? 0) + (cancelled.rowCount ?? 0);
          await run('delete from patients where id = $1', [id]);
        }
      }
      await client.query('commit');
      options.onProgress?.(counts.changes);
    }
  } finally {
    await client.end();
  }
  return counts;
}

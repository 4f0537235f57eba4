-- The demo health-care schema: facilities, patients, immunization records, appointments and
-- vaccine inventory, as a vaccination network's operational database holds them.
-- connectors/health-care.yaml captures these tables and validates and shapes their changes.

create table if not exists facilities (
  id bigint primary key,
  name text not null,
  region text,
  phone text,
  email text,
  time_zone text not null default 'Europe/Paris',
  updated_at timestamptz not null default now()
);

create table if not exists patients (
  id bigint primary key,
  mrn text not null,                 -- medical record number, MRN + 6 digits
  given_name text,
  family_name text,
  birth_date date,
  sex text,
  phone text,
  email text,
  ssn text,                          -- national insurance number: personal data, masked downstream
  facility_id bigint references facilities (id),
  updated_at timestamptz not null default now()
);

create table if not exists immunizations (
  id bigint primary key,
  patient_id bigint not null references patients (id),
  facility_id bigint references facilities (id),
  vaccine_code text not null,        -- CVX code
  lot_number text,
  dose_number int,
  administered_at timestamptz not null,
  status text not null default 'completed',
  updated_at timestamptz not null default now()
);

create table if not exists appointments (
  id bigint primary key,
  patient_id bigint not null references patients (id),
  facility_id bigint not null references facilities (id),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  status text not null default 'booked',
  reason text,
  updated_at timestamptz not null default now()
);

create table if not exists vaccine_inventory (
  id bigint primary key,
  facility_id bigint not null references facilities (id),
  vaccine_code text not null,
  lot_number text not null,
  quantity int not null,
  expires_on date not null,
  updated_at timestamptz not null default now()
);

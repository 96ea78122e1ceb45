/**
 * The demo's example application: what its migrations would create before
 * pg-access is involved. Tables and a few rows; no roles (pg-access creates them), no grants, no policies.
 */

export const EXAMPLE_SCHEMA_SQL = `
CREATE TABLE public.users (
  id   int PRIMARY KEY,
  name text NOT NULL
);

CREATE TABLE public.documents (
  id        serial PRIMARY KEY,
  owner_id  int NOT NULL REFERENCES public.users (id),
  title     text NOT NULL,
  is_public boolean NOT NULL DEFAULT false
);

CREATE TABLE public.projects (
  id        serial PRIMARY KEY,
  tenant_id int NOT NULL,
  name      text NOT NULL
);

CREATE SCHEMA billing;
CREATE TABLE billing.invoices (
  id           serial PRIMARY KEY,
  tenant_id    int NOT NULL,
  amount_cents int NOT NULL,
  status       text NOT NULL CHECK (status IN ('draft', 'sent', 'paid'))
);

INSERT INTO public.users (id, name) VALUES (1, 'alice'), (2, 'bob'), (3, 'carol');
INSERT INTO public.documents (owner_id, title, is_public) VALUES
  (1, 'Alice: contract draft', false),
  (1, 'Alice: holiday plan', false),
  (2, 'Bob: salary review', false),
  (2, 'Bob: team handbook', true),
  (3, 'Carol: roadmap', false);
INSERT INTO public.projects (tenant_id, name) VALUES
  (10, 'Acme website'),
  (10, 'Acme mobile app'),
  (20, 'Globex migration');
INSERT INTO billing.invoices (tenant_id, amount_cents, status) VALUES
  (10, 120000, 'paid'),
  (10, 34000, 'draft'),
  (20, 990000, 'sent');
`;

-- The table the app's own migrations create; pg-access manages its access.
CREATE TABLE IF NOT EXISTS public.documents (
  id serial PRIMARY KEY,
  tenant_id int NOT NULL,
  owner_id int NOT NULL,
  title text NOT NULL
);

-- Fixture rows, inserted inside each test's transaction and rolled back with it.
INSERT INTO public.documents (id, tenant_id, owner_id, title) VALUES
  (1, 1, 1, 'mine'),
  (2, 1, 2, 'a colleague''s'),
  (3, 2, 1, 'mine, in another tenant');

import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { EnableRls, GrantPermissions, RlsPolicy } from 'pg-access';

const app = process.env.APP_ROLE ?? 'app_user';
const reporting = process.env.REPORTING_ROLE ?? 'reporting';

@Entity({ name: 'documents' })
@EnableRls()
@GrantPermissions(['SELECT', 'INSERT', 'UPDATE', 'DELETE'], { to: app })
@GrantPermissions('SELECT', { to: reporting })
@RlsPolicy<Document>({ name: 'own_documents', to: app, using: (t) => `${t.ownerId} = (SELECT current_setting('app.user_id')::int)` })
@RlsPolicy<Document>({ name: 'tenant_fence', as: 'restrictive', to: [app, reporting], using: (t) => `${t.tenantId} = (SELECT current_setting('app.tenant_id')::int)` })
@RlsPolicy<Document>({ name: 'reporting_reads', for: 'SELECT', to: reporting, using: 'true' })
export class Document {
  @PrimaryGeneratedColumn() id!: number;
  @Column('int', { name: 'tenant_id' }) tenantId!: number;
  @Column('int', { name: 'owner_id' }) ownerId!: number;
  @Column('text') title!: string;
}


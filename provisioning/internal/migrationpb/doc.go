// Package migrationpb is the protobuf code generated from migration.proto: the
// MigrationPayload of Google Authenticator's otpauth-migration:// export. Only
// provisioning uses it, through DecodeMigration and EncodeMigration.
package migrationpb

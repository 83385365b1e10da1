-- CreateEnum
CREATE TYPE "BackupOrigin" AS ENUM ('GATEWAY', 'IMPORTED', 'ENGINE');

-- AlterEnum
ALTER TYPE "BackupStatus" ADD VALUE 'MISSING';

-- AlterTable
ALTER TABLE "Artifact" ADD COLUMN     "external" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "location" TEXT;

-- AlterTable
ALTER TABLE "Backup" ADD COLUMN     "externalId" TEXT,
ADD COLUMN     "origin" "BackupOrigin" NOT NULL DEFAULT 'GATEWAY';

-- CreateIndex
CREATE INDEX "Backup_engineId_externalId_idx" ON "Backup"("engineId", "externalId");

-- CreateEnum
CREATE TYPE "BackupSetStatus" AS ENUM ('PENDING', 'COMPLETE', 'PARTIAL', 'FAILED', 'DELETED');

-- AlterTable
ALTER TABLE "Backup" ADD COLUMN     "setId" TEXT;

-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "parentId" TEXT;

-- CreateTable
CREATE TABLE "BackupSet" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "labels" JSONB,
    "status" "BackupSetStatus" NOT NULL DEFAULT 'PENDING',
    "jobId" TEXT,
    "members" JSONB NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),
    "verifiedAt" TIMESTAMP(3),
    "deletedAt" TIMESTAMP(3),

    CONSTRAINT "BackupSet_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "BackupSet_createdAt_idx" ON "BackupSet"("createdAt");

-- CreateIndex
CREATE INDEX "Backup_setId_idx" ON "Backup"("setId");

-- CreateIndex
CREATE INDEX "Job_parentId_idx" ON "Job"("parentId");

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Job"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_setId_fkey" FOREIGN KEY ("setId") REFERENCES "BackupSet"("id") ON DELETE SET NULL ON UPDATE CASCADE;

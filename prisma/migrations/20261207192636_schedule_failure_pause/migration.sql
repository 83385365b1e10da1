-- AlterTable
ALTER TABLE "Schedule" ADD COLUMN     "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "pausedReason" TEXT;

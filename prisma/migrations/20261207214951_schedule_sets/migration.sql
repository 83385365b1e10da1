-- AlterTable
ALTER TABLE "Schedule" ADD COLUMN     "setMembers" JSONB;

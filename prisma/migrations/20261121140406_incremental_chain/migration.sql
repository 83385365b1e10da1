-- AlterTable
ALTER TABLE "Backup" ADD COLUMN     "changedSince" TIMESTAMP(3),
ADD COLUMN     "parentId" TEXT;

-- AddForeignKey
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Backup"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

import { Module } from '@nestjs/common';
import { OverviewModule } from '../overview/overview.module.js';
import { DoctorService } from './doctor.service.js';

/** The server's side of `tarn doctor`. */
@Module({ imports: [OverviewModule], providers: [DoctorService], exports: [DoctorService] })
export class DoctorModule {}

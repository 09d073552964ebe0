import { Module } from '@nestjs/common';
import { DoctorModule } from '@tarn/core';
import { HeartbeatService } from '@tarn/daemon/heartbeat.service.js';
import { DoctorController } from './doctor.controller.js';

@Module({ imports: [DoctorModule], controllers: [DoctorController], providers: [HeartbeatService] })
export class DoctorApiModule {}

import { Inject, Injectable, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFound } from '@tarn/domain';
import { type RequestRecord, requestRepository } from '@tarn/catalogue/repositories/request.repository.js';

/** Transfer requests as Rucio's request API shows them (administrators: the routes say so). */
@Injectable()
export class RequestQueryService {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** The active request of a file towards an RSE (Rucio's get_request_by_did). */
  async requestOf(scope: string, name: string, rse: string): Promise<RequestRecord> {
    const found = await requestRepository.findByDid(this.dataSource.manager, scope, name, rse);
    if (!found) {
      throw new NotFound(`No active request for ${scope}:${name} to RSE '${rse}': the copy is done, or none was ever needed (tarn rule show tells why a lock waits).`, {
        rucioClass: 'RequestNotFound',
      });
    }
    return found;
  }
}

@Module({ providers: [RequestQueryService], exports: [RequestQueryService] })
export class RequestQueryModule {}

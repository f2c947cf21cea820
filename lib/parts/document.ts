import { createHash } from 'node:crypto';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { buildDocument } from '../../lambda/core/document';
import type { RuntimeConfig } from '../../lambda/core/runtime-config';
import { SurgeGuardPart } from './part';

/** Where in its bucket a region's document lives. */
export const DOCUMENT_KEY = 'surgeguard/runtime.json';

/** Properties of {@link ConfigDocument}. */
export interface ConfigDocumentProps {
  /** The runtime config this region publishes. */
  readonly runtime: RuntimeConfig;
  /** Keep the bucket (the documents' history) when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The region's published config and plan: a versioned, encrypted bucket and the document `cdk deploy` writes to
 * it. The functions read it at run time, so events change without a change to any function or schedule in the
 * template; `surgeguard publish` writes a new version without a deploy.
 */
export class ConfigDocument extends SurgeGuardPart {
  /** The versioned bucket holding the document (older versions are the history, and the fallback). */
  readonly bucket: s3.Bucket;
  /** The object key of the document. */
  readonly key = DOCUMENT_KEY;
  /** The deployment that writes the document at `cdk deploy`. */
  readonly deployment: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: ConfigDocumentProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    this.bucket = new s3.Bucket(this, 'Documents', {
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      // The last versions are the fallback when a newer one is refused; older ones go after three months.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90), noncurrentVersionsToRetain: 10 }],
    });
    const document = buildDocument(
      props.runtime,
      // No time in it: an unchanged config gives the same document, so a deploy leaves a newer publish alone.
      { region, publishedAt: 'at cdk deploy', publishedBy: 'cdk deploy' },
      (text) => createHash('sha256').update(text).digest('hex'),
    );
    this.deployment = new s3deploy.BucketDeployment(this, 'Publish', {
      destinationBucket: this.bucket,
      sources: [s3deploy.Source.data(DOCUMENT_KEY, JSON.stringify(document))],
      // Only the document is written; the versions `surgeguard publish` made stay.
      prune: false,
      retainOnDelete: true,
      contentType: 'application/json',
      memoryLimit: 256,
    });
  }

  /** Lets `grantee` read the document and its older versions (the fallback when the newest is refused). */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resourceArns: [this.bucket.arnForObjects(this.key)],
    }).combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['s3:ListBucketVersions'],
        resourceArns: [this.bucket.bucketArn],
        conditions: { StringEquals: { 's3:prefix': this.key } },
      }),
    );
  }

  /** Lets `grantee` publish a new version of the document (`surgeguard publish`). */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [this.bucket.arnForObjects(this.key)],
    }).combine(this.grantRead(grantee));
  }
}

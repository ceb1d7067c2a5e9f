/**
 * Per-stream flow control shared by client and server calls.
 *
 * Outbound: a sender may have INITIAL_WINDOW_BYTES of MESSAGE payload unacknowledged; write()
 * still sends (a message is never split or held back) but returns false once the credit is used
 * up, and "drain" fires when CREDIT frames bring it back above zero.
 *
 * Inbound: messages are delivered to "data" listeners unless paused; paused messages wait here
 * (at most one window, since the peer stops). Credit for a message is returned once it has been
 * delivered, in batches of CREDIT_BATCH_BYTES, so a slow consumer slows the peer down and memory
 * stays bounded whatever the object size.
 */
import { EventEmitter } from "node:events";
import { CREDIT_BATCH_BYTES, encodeCredit, FrameError, FrameType, INITIAL_WINDOW_BYTES, messageBytesLength, payloadLength, type FramePayload, type MessageBytes } from "./codec.js";

export abstract class FlowControlledStream extends EventEmitter {
  #credit = INITIAL_WINDOW_BYTES;
  #wantsDrain = false;
  readonly #inbound: MessageBytes[] = [];
  #paused = false;
  #delivering = false;
  #unacked = 0;
  /** Bytes the peer sent on this stream that this side has not returned as credit yet. */
  #outstandingIn = 0;
  #remoteEnded = false;
  #endDelivered = false;

  /** Sends a frame of this stream (a no-op once the stream is finished). */
  protected abstract sendFrame(type: FrameType, flags: number, payload?: FramePayload): void;
  /** Decodes one received message and hands it to the consumer. */
  protected abstract deliver(payload: MessageBytes): void;
  /** All messages delivered and the peer will send no more. */
  protected abstract deliverEnd(): void;

  /** Sends one message; false when the peer's window is used up (wait for "drain"). */
  protected sendMessage(bytes: FramePayload, flags = 0): boolean {
    this.sendFrame(FrameType.MESSAGE, flags, bytes);
    this.#credit -= payloadLength(bytes);
    if (this.#credit > 0) return true;
    this.#wantsDrain = true;
    return false;
  }

  /** A CREDIT frame arrived. */
  addCredit(bytes: number): void {
    this.#credit += bytes;
    if (this.#wantsDrain && this.#credit > 0) {
      this.#wantsDrain = false;
      this.emit("drain");
    }
  }

  /**
   * A MESSAGE frame arrived. A peer that sends while it holds no credit (everything it sent
   * unacknowledged is already a whole window) breaks the protocol: without this check a paused
   * consumer would buffer whatever such a peer sends. The FrameError tears the connection down.
   */
  receive(payload: MessageBytes): void {
    if (this.#outstandingIn >= INITIAL_WINDOW_BYTES) {
      throw new FrameError(`the peer sent a message on a stream whose ${INITIAL_WINDOW_BYTES}-byte flow-control window it had used up (${this.#outstandingIn} bytes unacknowledged)`);
    }
    this.#outstandingIn += messageBytesLength(payload);
    if (this.#paused || this.#inbound.length > 0 || this.#delivering) {
      this.#inbound.push(payload);
      return;
    }
    this.#consumed(messageBytesLength(payload));
    this.deliver(payload);
  }

  /** The peer half-closed (or ended the call successfully). */
  receiveEnd(): void {
    this.#remoteEnded = true;
    this.#drainInbound();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#drainInbound();
  }

  get isPaused(): boolean {
    return this.#paused;
  }

  /** Drops queued messages (the call is over). */
  protected discardInbound(): void {
    this.#inbound.length = 0;
    this.#endDelivered = true;
  }

  #drainInbound(): void {
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      while (!this.#paused && this.#inbound.length > 0) {
        const payload = this.#inbound.shift() as MessageBytes;
        this.#consumed(messageBytesLength(payload));
        this.deliver(payload);
      }
    } finally {
      this.#delivering = false;
    }
    if (this.#remoteEnded && this.#inbound.length === 0 && !this.#endDelivered) {
      this.#endDelivered = true;
      this.deliverEnd();
    }
  }

  #consumed(bytes: number): void {
    this.#unacked += bytes;
    if (this.#unacked >= CREDIT_BATCH_BYTES && !this.#remoteEnded) {
      this.sendFrame(FrameType.CREDIT, 0, encodeCredit(this.#unacked));
      this.#outstandingIn -= this.#unacked;
      this.#unacked = 0;
    }
  }
}

import type { LanguageModelV3FinishReason, LanguageModelV3StreamPart } from "@ai-sdk/provider";
import type { RobocodersEvent } from "../core/events.js";
import {
  mapRobocodersEvent,
  type RobocodersActivity,
  type RobocodersTextMode,
} from "./map-robocoders-event.js";
import { mapRobocodersFinishReason, trackTurnEnd } from "./map-robocoders-finish-reason.js";

/** Options of {@link RobocodersStreamMapper}. */
export interface StreamMapperOptions {
  /** Which events make up the text. */
  textMode: RobocodersTextMode;
  /** Inserted between two consecutive pieces of text. */
  textSeparator: string;
  /** Emit every event's decoded object as a `raw` part before its other parts. Default: false. */
  includeRawChunks?: boolean;
}

/**
 * Turns Robocoders events into AI SDK stream parts, in order. Consecutive text events form one text run
 * (`text-start`, one `text-delta` per event, `text-end`); an activity event closes the open run, so each
 * run of agent talk between two actions has its own id (`text-0`, `text-1`…). Activity is collected for
 * the provider metadata; the event that ended the turn gives the finish reason.
 */
export class RobocodersStreamMapper {
  /** Activity records so far. */
  readonly activity: RobocodersActivity[] = [];
  /** The whole text so far, separators included. */
  text = "";
  private openTextId: string | undefined;
  private runs = 0;
  private turnEnd: RobocodersEvent | undefined;

  constructor(private readonly options: StreamMapperOptions) {}

  /** The parts for one event. */
  push(event: RobocodersEvent): LanguageModelV3StreamPart[] {
    const parts: LanguageModelV3StreamPart[] = [];
    if (this.options.includeRawChunks === true) parts.push({ type: "raw", rawValue: event.raw });
    this.turnEnd = trackTurnEnd(this.turnEnd, event);
    const { text, activity } = mapRobocodersEvent(event, this.options.textMode);
    if (activity !== undefined) {
      this.activity.push(activity);
      if (text === undefined) this.closeText(parts);
    }
    if (text !== undefined) {
      if (this.openTextId === undefined) {
        this.openTextId = `text-${this.runs++}`;
        parts.push({ type: "text-start", id: this.openTextId });
      }
      const delta = this.text === "" ? text : this.options.textSeparator + text;
      this.text += delta;
      parts.push({ type: "text-delta", id: this.openTextId, delta });
    }
    return parts;
  }

  /** Closes the open text run, if any. */
  closeText(parts: LanguageModelV3StreamPart[] = []): LanguageModelV3StreamPart[] {
    if (this.openTextId !== undefined) {
      parts.push({ type: "text-end", id: this.openTextId });
      this.openTextId = undefined;
    }
    return parts;
  }

  /** The finish reason, from the event that ended the latest turn. */
  finishReason(): LanguageModelV3FinishReason {
    return mapRobocodersFinishReason(this.turnEnd);
  }
}

/**
 * BERT for sequence classification with transformers' module paths.
 */
package io.github.peft4j.models.bert;
